/** The console module built from its dependencies: the chart reads behind the operator console. */
export { createConsoleModule, type ConsoleModule, type ConsoleModuleDeps } from "./console.module";
/** Chart series for operators and regulators: daily volume, exceptions per day, wage-arrears ageing. */
export { createConsoleService, MAX_CHART_DAYS, type ConsoleService, type ChartsView } from "./console.service";
/** HTTP route of the chart series. */
export { consoleRoutes } from "./console.routes";

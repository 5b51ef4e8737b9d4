/** Web pages: the worker's login and home (more pages join them in later issues). */
export { webRoutes } from "./web.routes";
/** The trading pages of enterprises and agencies (/trade…). */
export { tradeRoutes } from "./trade.routes";
/** The organisations' contract pages: site check-in code, timesheets, staffing (/site, /site/timesheets, /staffing). */
export { contractPagesRoutes } from "./contracts.routes";
/** Vendored browser code served by Shiftex (Apache ECharts): the versioned path pages reference. */
export { echartsAsset, type VendorAsset } from "./vendor";
/** The public disclosure pages: the agency directory, an agency's page, the trust settings in force (/agencies, /agencies/:id, /trust/settings). */
export { agenciesPagesRoutes } from "./agencies.routes";
/** The operator console (/console…): reconciliation, disputes, ledger, payments, charts. */
export { consolePagesRoutes } from "./console.routes";
/** The public-data pages: guidance prices with a chart and the city's totals (/prices), the regulator's statistics (/stats). */
export { publicDataPagesRoutes } from "./publicdata.routes";

/** Web pages: the worker's mobile login (more pages join it in later issues). */
export { webRoutes } from "./web.routes";
/** The trading pages of enterprises and agencies (/trade…). */
export { tradeRoutes } from "./trade.routes";

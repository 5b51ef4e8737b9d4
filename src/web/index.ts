/** Web pages: the worker's login and home (more pages join them in later issues). */
export { webRoutes } from "./web.routes";

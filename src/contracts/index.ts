/** The contract runtime built from the config: repository, runtime, service, and its loops (timers, sweep). */
export { createContractsModule, type ContractsModule, type ContractsModuleDeps } from "./contracts.module";
/** The loop around the pure machines: steps with optimistic versions, the outbox, durable timers. */
export { createContractsRuntime, SUPPLIER_PAYOUT, type ContractsRuntime, type ContractsLedgerPort, type SettlementPayouts } from "./contracts.runtime";
/** Authorisation, staffing rules and views of contracts' workflows and shifts. */
export { createContractsService, policyOf, type ContractsService } from "./contracts.service";
/** The ledger verification's check that every closed contract's escrow stands at zero (the server's verify, start-up, and the command line). */
export { closedEscrowProblems } from "./contracts.service";
/** The runtime's SQL. */
export { createContractsRepository, type ContractsRepository } from "./contracts.repository";
/** What a seat's money effect posts: amounts and linked transfers. */
export { seatAmounts, seatTransfers, type SeatAmounts, type SeatTerms, type Payee } from "./settlement";
/** The site's rotating check-in code and the geofence. */
export { currentCode, codeMatches, distanceMetres, CODE_PERIOD_MS } from "./attendance";
/** HTTP routes: /v1/contracts/:id/{workflow,assignments,cancel,shifts,seats/:seat/split}, /v1/shifts*, /v1/site*, /v1/earnings, /v1/notifications. */
export { contractsRoutes } from "./contracts.routes";
/** Staffing rules about the person (what a juvenile worker may not be named for), pure. */
export { juvenileRefusal, touchesNight } from "./staffing-rules";

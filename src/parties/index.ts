/** Parties: organisations, licences, workers, credentials and reference catalogues. */
export { createPartiesRepository, type PartiesRepository } from "./parties.repository";
/** Organisation, licence and worker rules with ownership checks. */
export { createPartiesService, type PartiesService, type OrganisationView, type WorkerView, type OrganisationChangeView } from "./parties.service";
/** API keys, worker one-time-code login and sessions. */
export { createAuthService, type AuthService, type IssuedKey } from "./auth.service";
/** Port for messages to workers: the signed webhook, and the embedded default that delivers nothing. */
export { createLogNotifier, createWebhookNotifier, webhookSignature, maskPhone, NotifierError, type Notifier, type CodePurpose } from "./notifier";
/** The module's repository and services built from the config (app and seed script), and its notifier. */
export { createPartiesModule, notifierFromConfig, type PartiesModule } from "./parties.module";
/** The HTTP routes of the module. */
export { partiesRoutes } from "./parties.routes";
/** Reference catalogues: districts, minimum wages, skills, slots, key groups, market ids. */
export * from "./catalogue";
/** Identity checks: credit codes, resident IDs, phones. */
export { validateCreditCode, creditCodeWithChecksum, validateResidentId, residentIdWithChecksum, maskResidentId, hashResidentId, validateChinaMobile, ageOn, MINIMUM_WORKING_AGE, ADULT_AGE } from "./identity";
/** Demo data for the embedded default. */
export { seedDemo, type DemoSeedResult } from "./demo-seed";

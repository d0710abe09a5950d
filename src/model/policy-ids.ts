/**
 * The built-in policies' ids, for the model's parameter checks: derived from the registry
 * (src/policies/index.ts POLICIES), so adding a policy never touches this file.
 */
export { POLICY_IDS, type PolicyId } from "../policies/index.js";

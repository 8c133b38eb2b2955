// The whole contract: every test, for one implementation of the event layer.

import type { ContractImplementation } from './harness.js';
import { describeReactorContract } from './reactor-contract.js';
import { describeTransportContract } from './transport-contract.js';

export type { ContractImplementation, ContractWorld } from './harness.js';
export { UNANSWERED_HOST } from './harness.js';

/** Defines every contract test for `implementation`; each test opens a world of its own. */
export function describeContract(implementation: ContractImplementation): void {
  describeTransportContract(implementation);
  describeReactorContract(implementation);
}

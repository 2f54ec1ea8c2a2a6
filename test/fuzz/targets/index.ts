/** Every fuzz target, in the order the runs and the docs list them. */
import type { FuzzTarget } from '../harness.js';
import { CARD_TARGETS } from './card.js';
import { CTAP_TARGETS } from './ctap.js';
import { DESFIRE_TARGETS } from './desfire.js';
import { LOCAL_TARGETS } from './local.js';
import { SSO_TARGETS } from './sso.js';

export const ALL_TARGETS: readonly FuzzTarget[] = [...CARD_TARGETS, ...DESFIRE_TARGETS, ...CTAP_TARGETS, ...LOCAL_TARGETS, ...SSO_TARGETS];

export function targetNamed(name: string): FuzzTarget | undefined {
  return ALL_TARGETS.find((t) => t.name === name);
}

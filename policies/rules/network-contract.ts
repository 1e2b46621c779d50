import type { Rule } from './support/rule';
import { rule as TK115 } from './TK115-network-reach-stricter-server';
import { rule as TK116 } from './TK116-egress-widening-reasoned';

/** The network contract (issue 11, class 3), in id order. */
export const NETWORK_CONTRACT_RULES: readonly Rule[] = [TK115, TK116];

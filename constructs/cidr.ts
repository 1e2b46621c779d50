// The CIDR arithmetic is the contract's (policies and diff judge egress with it).
export * from '../contract/cidr';

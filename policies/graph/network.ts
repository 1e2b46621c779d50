// The network contract lives in contract/ (diff reads it too).
export * from '../../contract/network';

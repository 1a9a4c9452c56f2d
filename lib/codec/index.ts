export * from './packet';
export * from './xml';
export * from './frame';
export * from './packet-socket';
export * from './crypto';

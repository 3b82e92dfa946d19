export * from './stack/index.js';

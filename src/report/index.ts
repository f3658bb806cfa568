/** The reports (text and JSON with stable keys) every front end prints. */
export { bootExtras, bootJson, bootText, kmemPageLines } from './boot.js';
export { e820DiffJson, e820DiffText, e820ShowJson, e820ShowText } from './e820.js';
export * from './image.js';
export { toJson } from './json.js';
export { oopsJson, runJson, runText, runTextChunks, verdictLines } from './run.js';

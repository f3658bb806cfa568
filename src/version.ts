/**
 * hiblab's release version, as `hiblab --version` prints it. A constant, not
 * a read of package.json, so the platform-neutral core and the browser front
 * end can show it too; test/cli/version.test.ts holds it equal to package.json.
 */
export const HIBLAB_VERSION = '0.1.0';

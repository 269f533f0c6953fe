/*
 * openid-client publishes its passport strategy only through package `exports`
 * (`openid-client/passport`), which the workspace's `moduleResolution: node` does not read for
 * types; Node and Jest do read it at run time. This points the types at the same file.
 */
declare module 'openid-client/passport' {
  export * from 'openid-client/build/passport';
}

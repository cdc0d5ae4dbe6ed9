/**
 * A free TCP port on 127.0.0.1 for tests. The one implementation lives beside anvil in
 * `@lightnode/contracts/anvil`, which needs it at run time; tests take it from here.
 */
export { freePort } from '@lightnode/contracts/anvil';

// workerd provides AsyncLocalStorage under the nodejs_als flag (the bench build sets it); the Workers types do
// not declare Node's modules.
declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}

/**
 * A page that loads its data, renders it, and loads again every `everyMs` while `again(data)` holds
 * (something in it is running): the environments list and an environment's activities. A failed
 * load replaces `body` with the error; `dispose` stops the timer.
 */
import { errorMessage } from './api.ts';
import type { View } from './context.ts';
import { h, replace } from './dom.ts';

export interface Refreshing<T> {
  load(): Promise<T>;
  render(data: T): void;
  again(data: T): boolean;
  everyMs: number;
}

export function refreshingView<T>(root: HTMLElement, body: HTMLElement, o: Refreshing<T>): View {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const tick = async () => {
    timer = undefined;
    try {
      const data = await o.load();
      if (disposed) return;
      o.render(data);
      if (o.again(data)) timer = setTimeout(tick, o.everyMs);
    } catch (err) {
      if (!disposed) replace(body, h('p', { class: 'error-text', role: 'alert' }, errorMessage(err)));
    }
  };
  void tick();
  return {
    el: root,
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

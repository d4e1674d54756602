/**
 * Modal confirmation dialogs on <dialog>.showModal(): the browser traps focus inside, Escape cancels,
 * and focus returns to where it was when the dialog closes. A dangerous action can require typing
 * a word (the environment's name) before its button enables.
 */
import { append, h, uid, type Child } from './dom.ts';

export interface ConfirmOptions {
  title: string;
  body: Child | Child[];
  confirmLabel: string;
  /** Style the confirm button as destructive. */
  danger?: boolean;
  /** The confirm button stays disabled until this is typed exactly. */
  typeToConfirm?: string;
}

/** Resolves true when confirmed, false when cancelled (button, Escape). */
export function confirmDialog(o: ConfirmOptions): Promise<boolean> {
  const titleId = uid('dlg-title');
  const bodyId = uid('dlg-body');
  const confirm = h('button', { type: 'submit', class: o.danger ? 'danger' : 'primary', disabled: o.typeToConfirm !== undefined }, o.confirmLabel);
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  let input: HTMLInputElement | undefined;
  let typeField: HTMLElement | null = null;
  if (o.typeToConfirm !== undefined) {
    const want = o.typeToConfirm;
    const inputId = uid('dlg-confirm');
    input = h('input', { id: inputId, type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true, 'aria-describedby': bodyId });
    const field = input;
    field.addEventListener('input', () => {
      confirm.disabled = field.value !== want;
    });
    typeField = h('p', { class: 'field' }, h('label', { for: inputId }, 'Type ', h('strong', null, want), ' to confirm'), field);
  }
  const form = h('form', { class: 'dialog-form' }, h('h2', { id: titleId }, o.title), h('div', { id: bodyId, class: 'dialog-body' }), typeField, h('div', { class: 'dialog-actions' }, cancel, confirm));
  append(form.querySelector(`#${bodyId}`)!, [o.body].flat());
  const dialog = h('dialog', { 'aria-labelledby': titleId, 'aria-describedby': bodyId }, form);
  document.body.appendChild(dialog);
  return new Promise<boolean>((resolve) => {
    let result = false;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (confirm.disabled) return;
      result = true;
      dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    dialog.showModal();
    // Focus the field to type in, else Cancel: Enter must never confirm a destructive action by accident.
    (input ?? cancel).focus();
  });
}

/** A modal form (edit a user) of `fields`; resolves with what `submit` returned (undefined keeps it open), or undefined when cancelled. */
export function formDialog<T>(title: string, fields: Child[], submitLabel: string, submit: () => T | undefined): Promise<T | undefined> {
  const titleId = uid('dlg-title');
  const ok = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'dialog-form' }, h('h2', { id: titleId }, title), fields, h('div', { class: 'dialog-actions' }, cancel, ok));
  const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
  document.body.appendChild(dialog);
  return new Promise<T | undefined>((resolve) => {
    let result: T | undefined;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      result = submit();
      if (result !== undefined) dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    dialog.showModal();
    const first = form.querySelector<HTMLElement>('input, select, textarea, button');
    first?.focus();
  });
}

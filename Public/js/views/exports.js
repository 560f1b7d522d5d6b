// Markdown exports (a session's account, a partie's campaign log). The API wants the bearer
// token, so a plain link cannot fetch them: the text is fetched, shown in a dialog to read or copy,
// and offered as a file through a Blob's object URL (which phones download or open as well).

import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog, notice, reasonOf, toast } from '../ui.js';

/** `inline; filename="seance-1.md"` → `seance-1.md`. */
export function filenameOf(response, fallback) {
  const header = response.headers.get('Content-Disposition') || '';
  const star = header.match(/filename\*\s*=\s*UTF-8''([^;]+)/i);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch { /* fall through */ }
  }
  const plain = header.match(/filename\s*=\s*"?([^";]+)"?/i);
  return plain ? plain[1].trim() : fallback;
}

/**
 * A button that fetches `path` (Markdown) and shows it.
 * @param {{path: string, label: string, title: string, filename: string, testid: string, note?: string}} options
 *   `note`: a warning shown above the text (e.g. the MJ's version holds private notes).
 */
export function markdownExportButton({ path, label, title, filename, testid, note = null }) {
  const button = h('button', {
    type: 'button', class: 'btn btn--small', 'data-testid': testid,
    onClick: () => openExport(button, { path, title, filename, note }),
  }, h('span', { 'aria-hidden': 'true' }, '⤓'), label);
  return button;
}

async function openExport(button, { path, title, filename, note }) {
  if (button.dataset.busy === 'true') return;
  button.dataset.busy = 'true';
  button.setAttribute('aria-disabled', 'true');
  let text;
  let name = filename;
  try {
    const response = await api(path, { raw: true });
    name = filenameOf(response, filename);
    text = await response.text();
  } catch (error) {
    toast(`Export impossible : ${reasonOf(error)}`, 'error');
    return;
  } finally {
    delete button.dataset.busy;
    button.removeAttribute('aria-disabled');
  }

  const blob = new Blob([text], { type: 'text/markdown;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const status = h('p', { class: 'export__status muted', role: 'status', 'aria-live': 'polite' });
  const pre = h('pre', {
    class: 'export__text', tabindex: '0', 'data-testid': 'export-text',
    'aria-label': `Contenu de ${name}`,
  }, text);
  const copy = h('button', {
    type: 'button', class: 'btn btn--small',
    onClick: async () => {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(pre);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        document.execCommand('copy');
      }
      status.textContent = 'Texte copié.';
    },
  }, 'Copier le texte');
  const actions = h('div', { class: 'actions' },
    h('a', { class: 'btn btn--small btn--primary', href: url, download: name, 'data-testid': 'export-download' },
      'Télécharger le fichier'),
    copy);
  // On a phone, the share sheet sends the file to notes, mail or a messaging app.
  if (navigator.share && navigator.canShare) {
    const file = new File([blob], name, { type: 'text/markdown' });
    if (navigator.canShare({ files: [file] })) {
      actions.append(h('button', {
        type: 'button', class: 'btn btn--small',
        onClick: () => navigator.share({ files: [file], title }).catch(() => {}),
      }, 'Partager…'));
    }
  }
  await confirmDialog({
    title,
    message: null,
    content: h('div', { class: 'export', 'data-testid': 'export-dialog', dataset: { filename: name } },
      h('p', { class: 'export__file muted' }, 'Fichier : ', h('span', { class: 'mono' }, name)),
      note && notice(note, 'warning'),
      actions,
      status,
      text.trim() ? pre : h('p', { class: 'empty' }, 'Le document est vide.')),
    confirmLabel: 'Fermer', cancelLabel: null,
  });
  // Give a download that was just started time to read the Blob before letting it go.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}


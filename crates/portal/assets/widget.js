/* Customer Portal support widget. Add to any allowed site with one tag:
 *   <script src="https://PORTAL/portal/SLUG/widget.js?v=VERSION" async></script>
 * It draws a "Support" button and a dialog in a shadow root (host-page CSS
 * cannot reach in, ours cannot leak out), and sends the ticket to the portal's
 * JSON API, which applies the same rules, rate limit and honeypot as the form.
 * No dependencies, no cookies, no innerHTML: every text goes in as text. */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[src*="/widget.js"]');
  if (!script || !window.fetch || !document.body || !document.body.attachShadow) return;
  var src = new URL(script.src, location.href);
  var match = /\/portal\/([a-z0-9-]+)\/widget\.js$/.exec(src.pathname);
  if (!match) return;
  var slug = match[1];
  var TAG = 'portal-support-widget';
  if (document.querySelector(TAG + '[data-workspace="' + slug + '"]')) return;

  fetch(src.origin + '/api/portal/' + slug + '/widget', { credentials: 'omit' })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status)); })
    .then(build, function (e) { console.warn('Support widget unavailable here:', e.message); });

  function el(name, attrs, children) {
    var node = document.createElement(name);
    for (var k in attrs || {}) {
      if (attrs[k] === true) node.setAttribute(k, '');
      else if (attrs[k] !== false && attrs[k] != null) node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }

  function key() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function css(accent) {
    return ':host{all:initial!important;display:block!important}' +
      '*{box-sizing:border-box}' +
      '.launcher,dialog{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24}' +
      'button,input,select,textarea{font:inherit;color:inherit}a.button{font:inherit}' +
      '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483647;background:' + accent +
      ';color:#fff;border:2px solid #fff;border-radius:999px;padding:12px 22px;font-weight:700;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3)}' +
      ':focus-visible{outline:3px solid #1b1f24;outline-offset:2px;box-shadow:0 0 0 2px #fff}' +
      // Headings take focus only so screen readers announce them: no ring.
      '[tabindex="-1"]:focus{outline:none;box-shadow:none}' +
      'dialog{width:min(460px,calc(100vw - 16px));max-height:calc(100vh - 16px);overflow:auto;padding:0;border:1px solid #cbd2da;border-radius:12px;background:#fff}' +
      'dialog::backdrop{background:rgba(15,23,42,.55)}' +
      '.head{display:flex;align-items:center;gap:12px;padding:14px 16px;border-bottom:1px solid #cbd2da}' +
      '.head img{height:32px;width:auto;max-width:120px}' +
      'h2{font-size:18px;margin:0;flex:1}h3{font-size:18px;margin:0 0 8px}' +
      '.close{background:#fff;border:2px solid #6b7280;border-radius:8px;width:40px;height:40px;font-size:22px;line-height:1;cursor:pointer}' +
      '.body{padding:4px 16px 16px}p{margin:8px 0}' +
      'label{display:block;font-weight:600;margin:14px 0 4px}' +
      '.hint{display:block;font-weight:400;color:#4b5563;font-size:14px}' +
      'input,select,textarea{display:block;width:100%;background:#fff;border:1px solid #6b7280;border-radius:8px;padding:9px 11px}' +
      'textarea{min-height:110px;resize:vertical}' +
      '[aria-invalid=true]{border:2px solid #b42318}' +
      '.error{color:#b42318;font-weight:600;margin:4px 0 0}' +
      '.summary{border:2px solid #b42318;border-radius:8px;padding:8px 12px;margin:12px 0 0;background:#fff5f5;color:#b42318;font-weight:600}' +
      '.primary,.secondary{display:inline-block;border:2px solid ' + accent + ';border-radius:8px;padding:9px 16px;font-weight:600;text-decoration:none;cursor:pointer;margin:14px 8px 0 0}' +
      '.primary{background:' + accent + ';color:#fff}.secondary{background:#fff;color:' + accent + '}' +
      '.primary[disabled]{opacity:.7;cursor:progress}' +
      '.ref{font-size:28px;font-weight:800;letter-spacing:.04em;margin:4px 0}' +
      '.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}' +
      '[hidden]{display:none!important}';
  }

  function build(cfg) {
    var accent = /^#[0-9a-f]{6}$/i.test(cfg.accent) ? cfg.accent : '#1d4ed8';
    var host = el(TAG, { 'data-workspace': slug });
    var root = host.attachShadow({ mode: 'open' });
    var styles = css(accent);
    // A constructed stylesheet is not an inline style: a host page whose CSP
    // forbids inline styles still lets it apply.
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(styles);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(el('style', {}, [styles]));
    }

    var launcher = el('button', { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog' }, ['Support']);
    var title = el('h2', { id: 'title' }, [cfg.name + ' support']);
    var close = el('button', { type: 'button', class: 'close', 'aria-label': 'Close' }, ['\u00d7']);
    var head = el('div', { class: 'head' }, [title, close]);
    if (cfg.logoUrl) head.prepend(el('img', { src: cfg.logoUrl, alt: '' }));

    var fields = {};
    var errors = {};
    function field(name, label, control, hint) {
      var id = 'f-' + name;
      control.id = id;
      control.name = name;
      var labelEl = el('label', { for: id }, [label]);
      var describedBy = [];
      if (hint) {
        labelEl.append(el('span', { class: 'hint', id: id + '-hint' }, [hint]));
        describedBy.push(id + '-hint');
      }
      if (describedBy.length) control.setAttribute('aria-describedby', describedBy.join(' '));
      control.dataset.hint = describedBy.join(' ');
      errors[name] = el('p', { class: 'error', id: id + '-error', hidden: true });
      fields[name] = control;
      return [labelEl, control, errors[name]];
    }
    var max = cfg.maxLength || {};
    var type = el('select', {}, (cfg.types || []).map(function (t) { return el('option', { value: t.value }, [t.label]); }));
    var honeypot = el('input', { type: 'text', name: 'website', tabindex: '-1', autocomplete: 'off' });
    var summary = el('div', { class: 'summary', role: 'alert', hidden: true });
    var submit = el('button', { type: 'submit', class: 'primary' }, ['Submit ticket']);
    var form = el('form', { novalidate: true }, [summary,
      el('div', { class: 'trap', 'aria-hidden': 'true' }, [el('label', {}, ['Leave this empty', honeypot])])]
      .concat(field('name', 'Name (required)', el('input', { type: 'text', maxlength: max.name, autocomplete: 'name', required: true })))
      .concat(field('email', 'Email (required)', el('input', { type: 'email', maxlength: max.email, autocomplete: 'email', required: true }),
        'We send the confirmation and replies here. You also need it to track the ticket.'))
      .concat(field('subject', 'Subject (required)', el('input', { type: 'text', maxlength: max.subject, required: true })))
      .concat(field('description', 'Description', el('textarea', { maxlength: max.description }),
        'Optional, up to ' + Number(max.description).toLocaleString('en-US') + ' characters.'))
      .concat(field('type', 'Type', type))
      .concat([submit]));

    var doneHeading = el('h3', { tabindex: '-1' }, ['Thank you, we received your request']);
    var reference = el('p', { class: 'ref' });
    var track = el('a', { class: 'button primary', target: '_blank', rel: 'noopener' }, ['Track Ticket']);
    var another = el('button', { type: 'button', class: 'secondary' }, ['Submit another']);
    var withReference = el('div', {}, [el('p', {}, ['Your ticket reference is']), reference,
      el('p', {}, ['We sent a confirmation to your email address with this reference and a link to track your ticket.']), track]);
    var done = el('div', { hidden: true }, [doneHeading, withReference, another]);

    var dialog = el('dialog', { 'aria-labelledby': 'title' }, [head, el('div', { class: 'body' }, [form, done])]);
    root.append(launcher, dialog);
    document.body.append(host);

    var idempotencyKey = key();
    var sending = false;

    function open() {
      dialog.showModal();
      (done.hidden ? fields.name : doneHeading).focus();
    }
    function shut() { if (dialog.open) dialog.close(); }
    launcher.addEventListener('click', open);
    close.addEventListener('click', shut);
    dialog.addEventListener('close', function () { launcher.focus(); });
    // Clicking the backdrop (outside the dialog's box) closes it, as people expect.
    dialog.addEventListener('click', function (e) { if (e.target === dialog) shut(); });
    dialog.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); shut(); return; }
      if (e.key !== 'Tab') return;
      // Keep Tab inside the dialog: from the last stop back to the first, and round the other way.
      var stops = Array.prototype.filter.call(
        dialog.querySelectorAll('a[href],button,input,select,textarea'),
        function (n) { return !n.disabled && n.tabIndex >= 0 && n.getClientRects().length; });
      var first = stops[0], last = stops[stops.length - 1];
      if (e.shiftKey && root.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && root.activeElement === last) { e.preventDefault(); first.focus(); }
    });

    function showErrors(problems, message) {
      var firstBad = null;
      Object.keys(fields).forEach(function (name) {
        var problem = problems[name];
        var control = fields[name];
        errors[name].textContent = problem || '';
        errors[name].hidden = !problem;
        var describedBy = control.dataset.hint ? [control.dataset.hint] : [];
        if (problem) {
          control.setAttribute('aria-invalid', 'true');
          describedBy.push(errors[name].id);
          firstBad = firstBad || control;
        } else {
          control.removeAttribute('aria-invalid');
        }
        if (describedBy.length) control.setAttribute('aria-describedby', describedBy.join(' '));
        else control.removeAttribute('aria-describedby');
      });
      summary.textContent = message || '';
      summary.hidden = !message;
      if (firstBad) firstBad.focus();
    }

    function finished(body) {
      withReference.hidden = !body.reference;
      reference.textContent = body.reference || '';
      if (body.trackingUrl) track.href = body.trackingUrl;
      form.hidden = true;
      done.hidden = false;
      doneHeading.focus();
    }

    another.addEventListener('click', function () {
      form.reset();
      showErrors({}, '');
      idempotencyKey = key();
      done.hidden = true;
      form.hidden = false;
      fields.name.focus();
    });

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (sending) return;
      sending = true;
      submit.disabled = true;
      submit.textContent = 'Sending\u2026';
      var body = { website: honeypot.value };
      Object.keys(fields).forEach(function (name) { body[name] = fields[name].value; });
      fetch(cfg.submitUrl, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (json) {
          if (r.ok) return finished(json);
          if (r.status === 422) return showErrors(json.fields || {}, 'Please check the form: ' + (json.message || ''));
          showErrors({}, json.message || 'Something went wrong. Please try again.');
        });
      }, function () {
        showErrors({}, 'We could not reach the support team. Check your connection and try again; nothing is sent twice.');
      }).then(function () {
        sending = false;
        submit.disabled = false;
        submit.textContent = 'Submit ticket';
      });
    });
  }
})();

"""The minimal web pages that links in emails and SMS lead to, served by the API in dev
(`api/routers/web_pages.py`) where no web app runs: confirm the email, complete the
profile, sign in, register from an invitation, the doctor's invitations, reset the
password, pay, pay a pharmacy order, and the admins' professionals to check. Each works
offline (no asset from elsewhere), calls the public API from the browser (same origin, the
token kept in the tab's sessionStorage) and says what happened.

`Page.api_calls()` names the API operations a page calls ("METHOD /path"): a test checks each
is served, and that each email's link opens its page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from domain.links import WebPage


@dataclass(frozen=True)
class Page:
    title: str
    body: str
    script: str
    calls: tuple[str, ...]
    signed_in: bool = False  # shows the sign-in form until the user has a token

    def api_calls(self) -> tuple[str, ...]:
        """Every API operation the page calls, its sign-in form's included."""
        return (*self.calls, SIGN_IN) if self.signed_in else self.calls


SIGN_IN = "POST /api/v1/auth/token"


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b}
header{display:flex;gap:.5rem;align-items:baseline;border-bottom:1px solid #ddd;
margin-bottom:1rem}
header small{color:#777}
label{display:block;margin:.5rem 0}
input,select,textarea{display:block;width:100%;padding:.4rem;box-sizing:border-box}
input[type=checkbox]{display:inline;width:auto}
button{margin:.5rem .5rem 0 0;padding:.4rem .9rem}
.ok{color:#126b12}.error{color:#a11}
li{margin:.6rem 0}
[hidden]{display:none}
"""

# What every page shares: calling the API, keeping the token, showing a result.
_COMMON_JS = r"""
const E = {
  token() { return sessionStorage.getItem("esame_token"); },
  keep(token) { sessionStorage.setItem("esame_token", token); },
  param(name) { return new URLSearchParams(location.search).get(name); },
  async call(method, path, body, asForm) {
    const headers = {"Accept": "application/json"};
    const token = E.token();
    if (token) headers["Authorization"] = "Bearer " + token;
    let payload;
    if (asForm) { payload = new URLSearchParams(body); }
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json"; payload = JSON.stringify(body);
    }
    let response;
    try { response = await fetch(path, {method, headers, body: payload}); }
    catch (err) { return {ok: false, status: 0, data: {detail: "The API cannot be reached."}}; }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = {detail: text}; }
    if (response.status === 401 && path !== "/api/v1/auth/token") E.needSignIn();
    return {ok: response.ok, status: response.status, data};
  },
  // An operation as the pages name it ("POST /api/v1/x/{id}/y"), its {names} filled in.
  run(operation, params, body) {
    const [method, template] = operation.split(" ");
    return E.call(method, template.replace(/{(\w+)}/g,
                                           (_, name) => encodeURIComponent(params[name])), body);
  },
  say(message, ok) {
    const el = document.getElementById("result");
    el.textContent = message; el.className = ok ? "ok" : "error";
  },
  problem(answer) {
    const d = answer.data || {};
    let text = d.detail || ("The API answered " + answer.status + ".");
    if (Array.isArray(d.errors) && d.errors.length) {
      text += " " + d.errors.map(e => (e.field ? e.field + ": " : "") + e.message).join("; ");
    }
    return text;
  },
  fields(form) {
    const out = {};
    for (const [name, value] of new FormData(form)) {
      if (value === "") continue;
      const input = form.elements[name];
      let v = value;
      if (input && input.type === "checkbox") v = true;
      if (input && input.type === "number") v = Number(value);
      const path = name.split("."); let at = out;
      while (path.length > 1) { const k = path.shift(); at = at[k] = at[k] || {}; }
      at[path[0]] = v;
    }
    return out;
  },
  bind(form, done, shape) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = E.fields(form);
      const body = shape ? shape(fields) : fields;
      const answer = await E.call(form.dataset.method || "POST", form.getAttribute("action"),
                                  body, form.dataset.encoding === "form");
      if (answer.ok) done(answer); else E.say(E.problem(answer), false);
    });
  },
  needSignIn() {
    const box = document.getElementById("sign-in");
    if (box && box.hidden) { box.hidden = false; E.say("Sign in to go on.", true); }
  },
  signedIn(load) {
    const box = document.getElementById("sign-in");
    if (!box) return;
    E.bind(box.querySelector("form"), (answer) => {
      E.keep(answer.data.access_token); box.hidden = true;
      E.say("You are signed in.", true); if (load) load();
    });
    if (!E.token()) E.needSignIn(); else if (load) load();
  },
  text(tag, content) {
    const el = document.createElement(tag); el.textContent = content; return el;
  },
  money(m) {
    if (!m) return "";
    if (m.currency === "XAF") return m.amount + " XAF";
    return (m.amount / 100).toFixed(2) + " " + m.currency;
  },
};
"""

_SIGN_IN_FORM = """
<form action="/api/v1/auth/token" method="post" data-encoding="form">
  <label>Email <input name="username" type="email" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"
    required></label>
  <button>Sign in</button>
</form>"""

_SIGN_IN_BOX = f"""
<section id="sign-in" hidden><h2>Sign in first</h2>{_SIGN_IN_FORM}</section>"""


PAGES: dict[WebPage, Page] = {
    WebPage.validate_email: Page(
        title="Confirm your email address",
        body="""
<p>Confirm that this address is yours to go on with your E-same account.</p>
<form id="confirm" action="/api/v1/auth/validate-email" method="post">
  <input type="hidden" name="token">
  <button>Confirm my email address</button>
</form>
<p id="next" hidden><a href="/profile">Complete your profile</a></p>""",
        script="""
const form = document.getElementById("confirm");
form.elements.token.value = E.param("token") || "";
if (!form.elements.token.value) E.say("This link has no token: open the link of the email.", false);
E.bind(form, (answer) => {
  E.keep(answer.data.access_token);
  E.say("Your email address is confirmed, and you are signed in.", true);
  form.hidden = true; document.getElementById("next").hidden = false;
});""",
        calls=("POST /api/v1/auth/validate-email",),
    ),
    WebPage.profile: Page(
        title="Complete your profile",
        signed_in=True,
        body="""
<p id="status"></p>
<form id="profile" action="/api/v1/me/profile" method="post" data-method="PUT">
  <label>Time zone <input name="timezone" required placeholder="Africa/Douala"></label>
  <label>Currency <select name="currency"><option>XAF</option><option>EUR</option>
    <option>USD</option><option>GBP</option><option>CAD</option></select></label>
  <label>Country (2 letters) <input name="country" required maxlength="2" value="CM"></label>
  <label>City <input name="city" required></label>
  <label>Address <input name="address_line" required></label>
  <label>Phone <input name="phone" type="tel" required placeholder="+237670000001"></label>
  <button>Save my profile</button>
</form>
<form id="code" action="/api/v1/me/verification" method="post">
  <label>The 6-digit code we emailed you <input name="code" inputmode="numeric"
    pattern="[0-9]{6}" required></label>
  <button>Check the code</button>
  <button type="button" id="resend" data-api="POST /api/v1/me/verification/resend">
    Send me a new code</button>
</form>
<form id="consent" action="/api/v1/me/consent" method="post">
  <label><input type="checkbox" name="share_medical_data" required> I consent to share my
    medical data with the doctors I choose.</label>
  <button>Give my consent</button>
</form>""",
        script="""
const status = document.getElementById("status");
const show = (s) => {
  status.textContent = {
    pending_email_validation: "Confirm your email address first (the link of the email).",
    email_validated: "Next: save your profile; we then email you a code.",
    profile_completed: "Next: type the code we emailed you, and give your consent.",
    active: "Your account is active.",
  }[s] || s;
};
async function load() {
  const me = await E.call("GET", "/api/v1/me");
  if (me.ok) show(me.data.status);
}
const profile = document.getElementById("profile");
profile.elements.timezone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
E.bind(profile, (a) => { E.say("Profile saved: we have emailed you a code.", true); load(); });
E.bind(document.getElementById("code"), (a) => {
  E.say("The code is right.", true); show(a.data.status); });
E.bind(document.getElementById("consent"), (a) => {
  E.say("Consent given.", true); show(a.data.status); });
document.getElementById("resend").addEventListener("click", async () => {
  const a = await E.call("POST", "/api/v1/me/verification/resend");
  if (a.ok) E.say("A new code is on its way.", true); else E.say(E.problem(a), false);
});
E.signedIn(load);""",
        calls=("GET /api/v1/me", "PUT /api/v1/me/profile", "POST /api/v1/me/verification",
               "POST /api/v1/me/verification/resend", "POST /api/v1/me/consent"),
    ),
    WebPage.sign_in: Page(
        title="Sign in to E-same",
        body=f"""<div id="form">{_SIGN_IN_FORM}</div>""",
        script="""
E.bind(document.querySelector("#form form"), async (answer) => {
  E.keep(answer.data.access_token);
  const me = await E.call("GET", "/api/v1/me");
  E.say(me.ok ? "You are signed in as " + me.data.first_name + " " + me.data.last_name +
        " (" + me.data.role + ")." : "You are signed in.", true);
  const next = E.param("next");
  if (next && next.startsWith("/") && !next.startsWith("//")) location.assign(next);
});""",
        calls=("POST /api/v1/auth/token", "GET /api/v1/me"),
    ),
    WebPage.register: Page(
        title="Create your E-same account",
        body="""
<p id="invited" hidden>You were invited to E-same: register with the address the
  invitation was sent to.</p>
<form id="register" action="/api/v1/auth/register" method="post">
  <label>Email <input name="email" type="email" autocomplete="email" required></label>
  <label>Password (8 characters at least) <input name="password" type="password"
    minlength="8" autocomplete="new-password" required></label>
  <label>First name <input name="first_name" required></label>
  <label>Last name <input name="last_name" required></label>
  <label>Language <select name="language"><option value="fr">Français</option>
    <option value="en">English</option></select></label>
  <label>I am <select name="role"><option value="patient">a patient</option>
    <option value="doctor">a doctor</option><option value="pharmacist">a pharmacist</option>
  </select></label>
  <fieldset id="doctor" hidden><legend>Doctor</legend>
    <label>Specialty <input name="doctor.specialty"></label>
    <label>Licence number <input name="doctor.license_number"></label></fieldset>
  <fieldset id="pharmacist" hidden><legend>Pharmacist</legend>
    <label>Your pharmacy's id <input name="pharmacy_id"></label></fieldset>
  <button>Create my account</button>
</form>""",
        script="""
const form = document.getElementById("register");
document.getElementById("invited").hidden = !E.param("invitation");
const role = form.elements.role;
const toggle = () => {
  document.getElementById("doctor").hidden = role.value !== "doctor";
  document.getElementById("pharmacist").hidden = role.value !== "pharmacist";
};
role.addEventListener("change", toggle); toggle();
E.bind(form, () => {
  form.hidden = true;
  E.say("Almost there: we have emailed you a link to confirm your address.", true);
}, (fields) => {
  if (fields.role !== "doctor") delete fields.doctor;
  if (fields.role !== "pharmacist") delete fields.pharmacy_id;
  return fields;
});""",
        calls=("POST /api/v1/auth/register",),
    ),
    WebPage.doctor_invitations: Page(
        title="Patients asking you to be their doctor",
        signed_in=True,
        body="""<ul id="requests"></ul>""",
        script="""
const list = document.getElementById("requests");
const ACCEPT = "POST /api/v1/doctor/invitations/{link_id}/accept";
const DECLINE = "POST /api/v1/doctor/invitations/{link_id}/decline";
async function answer(id, call, name) {
  const a = await E.run(call, {link_id: id});
  if (a.ok) { E.say(name + ": " + (a.data.status === "active" ? "accepted, now your patient."
                                   : "declined."), true); load(); }
  else E.say(E.problem(a), false);
}
async function load() {
  const a = await E.call("GET", "/api/v1/doctor/invitations?status=pending");
  if (!a.ok) { if (a.status !== 401) E.say(E.problem(a), false); return; }
  list.replaceChildren();
  if (!a.data.items.length) list.append(E.text("li", "No request is waiting for you."));
  for (const r of a.data.items) {
    const name = r.first_name + " " + r.last_name + " (" + r.patient_esame_id + ")";
    const li = E.text("li", name + " ");
    for (const [label, call] of [["Accept", ACCEPT], ["Decline", DECLINE]]) {
      const b = E.text("button", label); b.dataset.api = call;
      b.addEventListener("click", () => answer(r.id, call, name)); li.append(b);
    }
    list.append(li);
  }
}
E.signedIn(load);""",
        calls=("GET /api/v1/doctor/invitations", "POST /api/v1/doctor/invitations/{link_id}/accept",
               "POST /api/v1/doctor/invitations/{link_id}/decline"),
    ),
    WebPage.reset_password: Page(
        title="Choose a new password",
        body="""
<form id="reset" action="/api/v1/auth/password-reset/confirm" method="post">
  <input type="hidden" name="token">
  <label>New password (8 characters at least) <input name="new_password" type="password"
    minlength="8" autocomplete="new-password" required></label>
  <button>Change my password</button>
</form>
<p id="next" hidden><a href="/sign-in">Sign in with your new password</a></p>""",
        script="""
const form = document.getElementById("reset");
form.elements.token.value = E.param("token") || "";
if (!form.elements.token.value) E.say("This link has no token: open the link of the email.", false);
E.bind(form, () => {
  form.hidden = true; document.getElementById("next").hidden = false;
  E.say("Your password is changed.", true);
});""",
        calls=("POST /api/v1/auth/password-reset/confirm",),
    ),
    WebPage.pay: Page(
        title="Your payment",
        signed_in=True,
        body="""
<p id="what"></p>
<p id="checkout" hidden><a id="go">Continue to the payment page</a></p>
<p id="instructions" hidden></p>""",
        script="""
const id = decodeURIComponent(location.pathname.split("/").pop());
const OUTCOME = {
  succeeded: ["Paid. Thank you: your invoice is in your account.", true],
  failed: ["The payment failed: nothing was charged. You can try again.", false],
  expired: ["This payment expired before it was made: nothing was charged.", false],
  refunded: ["This payment was refunded.", true],
};
const PAYMENT = "GET /api/v1/payments/{payment_id}";
let timer = null;
async function load() {
  const a = await E.run(PAYMENT, {payment_id: id});
  if (!a.ok) { if (a.status !== 401) E.say(E.problem(a), false); return; }
  const p = a.data;
  document.getElementById("what").textContent =
    "Payment of " + E.money(p.amount) + " by " + p.method.replace("_", " ") + ".";
  const done = OUTCOME[p.status];
  document.getElementById("checkout").hidden = !!done || !p.checkout_url;
  if (p.checkout_url) document.getElementById("go").href = p.checkout_url;
  const info = document.getElementById("instructions");
  info.hidden = !!done || !(p.instructions || p.client_secret);
  info.textContent = p.instructions ||
    (p.client_secret ? "Card payments are confirmed in the E-same app." : "");
  if (done) { E.say(done[0], done[1]); clearInterval(timer); return; }
  E.say("Waiting for the payment: this page follows it.", true);
  if (!timer) timer = setInterval(load, 3000);
}
E.signedIn(load);""",
        calls=("GET /api/v1/payments/{payment_id}",),
    ),
    WebPage.pharmacy_order_payment: Page(
        title="Pay your pharmacy order",
        signed_in=True,
        body="""
<p id="what"></p>
<form id="pay" hidden>
  <label>Billing address <select name="billing_address_id" id="addresses"></select></label>
  <label>Pay by <select name="payment_method">
    <option value="card">card</option><option value="paypal">PayPal</option>
    <option value="mobile_money">Mobile Money</option></select></label>
  <label>Operator (Mobile Money) <select name="operator"><option value=""></option>
    <option value="mtn">MTN</option><option value="orange">Orange</option></select></label>
  <label>Phone (Mobile Money) <input name="phone" type="tel"></label>
  <button>Pay</button>
</form>
<p id="instructions" hidden></p>""",
        script="""
const id = E.param("order") || "";
const ORDER = "GET /api/v1/pharmacy-orders/{order_id}";
const PAY = "POST /api/v1/pharmacy-orders/{order_id}/pay";
const form = document.getElementById("pay");
async function load() {
  const a = await E.run(ORDER, {order_id: id});
  if (!a.ok) { if (a.status !== 401) E.say(E.problem(a), false); return; }
  const o = a.data;
  document.getElementById("what").textContent = "Order " + o.reference + " at " +
    o.pharmacy.name + ": " + E.money(o.price) + " (" + o.status + ").";
  if (o.status !== "validated") { E.say("This order is " + o.status + ".", true); return; }
  const b = await E.call("GET", "/api/v1/me/billing-addresses");
  const select = document.getElementById("addresses");
  select.replaceChildren();
  for (const ad of (b.ok ? b.data.items : [])) {
    const opt = E.text("option", ad.line1 + ", " + ad.city); opt.value = ad.id; select.append(opt);
  }
  form.hidden = false;
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const a = await E.run(PAY, {order_id: id}, E.fields(form));
  if (!a.ok) { E.say(E.problem(a), false); return; }
  const p = a.data.payment;
  if (p.checkout_url) { location.href = p.checkout_url; return; }
  const info = document.getElementById("instructions");
  info.hidden = false; info.textContent = p.instructions || "Follow the payment on your phone.";
  form.hidden = true;
});
E.signedIn(load);""",
        calls=("GET /api/v1/pharmacy-orders/{order_id}", "GET /api/v1/me/billing-addresses",
               "POST /api/v1/pharmacy-orders/{order_id}/pay"),
    ),
    WebPage.admin_professionals: Page(
        title="Professionals to check",
        signed_in=True,
        body="""<ul id="professionals"></ul>""",
        script="""
const list = document.getElementById("professionals");
const APPROVE = "POST /api/v1/admin/professionals/{user_id}/approve";
const REFUSE = "POST /api/v1/admin/professionals/{user_id}/refuse";
async function decide(p, call, body) {
  const a = await E.run(call, {user_id: p.user_id}, body);
  if (a.ok) { E.say(p.first_name + " " + p.last_name + ": " + a.data.verification + ".", true);
              load(); }
  else E.say(E.problem(a), false);
}
async function load() {
  const a = await E.call("GET", "/api/v1/admin/professionals?verification=pending");
  if (!a.ok) { if (a.status !== 401) E.say(E.problem(a), false); return; }
  list.replaceChildren();
  if (!a.data.items.length) list.append(E.text("li", "Nothing left to check."));
  for (const p of a.data.items) {
    const what = p.role === "doctor" ? p.specialty + ", licence " + p.license_number
                                     : "pharmacy " + (p.pharmacy_name || p.pharmacy_id);
    const li = E.text("li", p.first_name + " " + p.last_name + " <" + p.email + ">, " +
                      p.role + " (" + what + ") ");
    const ok = E.text("button", "Approve"); ok.dataset.api = APPROVE;
    ok.addEventListener("click", () => decide(p, APPROVE));
    const reason = document.createElement("input"); reason.placeholder = "Reason to refuse";
    const no = E.text("button", "Refuse"); no.dataset.api = REFUSE;
    no.addEventListener("click", () => decide(p, REFUSE, {reason: reason.value}));
    li.append(ok, reason, no); list.append(li);
  }
}
E.signedIn(load);""",
        calls=("GET /api/v1/admin/professionals",
               "POST /api/v1/admin/professionals/{user_id}/approve",
               "POST /api/v1/admin/professionals/{user_id}/refuse"),
    ),
}


def render_page(page: Page) -> str:
    title = html.escape(page.title)
    sign_in = _SIGN_IN_BOX if page.signed_in else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>E-same — {title}</title><style>{_STYLE}</style></head>\n<body>"
        "<header><strong>E-same</strong><small>development page</small></header>"
        f"<main><h1>{title}</h1>{sign_in}{page.body}"
        '<p id="result" role="status" aria-live="polite"></p></main>'
        f"<script>{_COMMON_JS}{page.script}</script></body></html>"
    )

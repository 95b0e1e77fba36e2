// gitweb and cgit behind sessionwrap's login (examples/demo.sh --protect)
// in a real browser: Debian's chromium, headless, driven by playwright-core.
// Anonymous gitweb goes to the login form; log in through it; browse gitweb
// and cgit, which show the user; a form on another local origin POSTs a
// logout and a gitweb request cross-origin: both refused (403), still
// logged in; log out with the page's button; gitweb asks for login again.
// Screenshots of every step go to $ARTIFACTS.
//
//   BASE=http://127.0.0.1:PORT EVIL=http://127.0.0.1:PORT2 ARTIFACTS=DIR \
//       NODE_PATH=.../node_modules node protect.js
"use strict";

const { helpers } = require("./lib.js");

const BASE = process.env.BASE;
const EVIL = process.env.EVIL;
const { check, shot, run } = helpers("browser_protect");

// Submit the form #id of the other origin's page; the answer's status.
async function crossPost(page, id) {
	await page.goto(EVIL + "/evil.html");
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.url().startsWith(BASE) &&
		    r.request().method() === "POST"),
		page.click(`#${id} button`),
	]);
	return resp.status();
}

run({ width: 900, height: 600 }, async (context, p) => {
	await p.goto(BASE + "/cgi-bin/gitweb.cgi");
	check(/\/cgi-bin\/login\.cgi\?next=%2Fcgi-bin%2Fgitweb\.cgi$/.test(p.url()),
	    `anonymous gitweb goes to the login form (${p.url()})`);
	check(await p.isVisible("label[for=user]") && await p.isVisible("label[for=password]"),
	    "the form has labelled fields");
	await shot(p, "01-login-form");

	await p.getByLabel("User name").fill("alice");
	await p.getByLabel("Password").fill("wrong");
	await Promise.all([p.waitForLoadState("load"), p.click("button[type=submit]")]);
	check((await p.textContent("#message")).includes("Wrong user name or password"),
	    "a wrong password shows the form again with a message");
	await p.getByLabel("Password").fill("demo");
	await Promise.all([p.waitForURL(/\/cgi-bin\/gitweb\.cgi$/),
	    p.click("button[type=submit]")]);
	check((await p.title()).includes("gitweb for alice"), `gitweb shows alice (${await p.title()})`);
	check(await p.isVisible("text=projects of alice"), "on the page too");
	await shot(p, "02-gitweb");

	await Promise.all([p.waitForLoadState("load"), p.click("a.list >> text=sessionwrap.git")]);
	check(/a=summary/.test(p.url()) || /p=sessionwrap\.git/.test(p.url()),
	    `the project's summary (${p.url()})`);
	check((await p.content()).includes("gitweb for alice"), "the summary shows alice");
	await shot(p, "03-gitweb-summary");

	await p.goto(BASE + "/cgi-bin/cgit.cgi/");
	check(await p.isVisible("text=sessionwrap"), "cgit lists the repository");
	await p.goto(BASE + "/cgi-bin/cgit.cgi/?p=about");
	check((await p.textContent("#cgit-user")) === "cgit for alice", "cgit shows alice");
	await shot(p, "04-cgit");

	for (const id of ["logout", "app"]) {
		const status = await crossPost(p, id);
		check(status === 403, `a cross-origin form POST (${id}) from ${EVIL} is refused: ${status}`);
	}
	await shot(p, "05-cross-origin-refused");
	await p.goto(BASE + "/cgi-bin/gitweb.cgi");
	check((await p.title()).includes("gitweb for alice"), "still logged in after the cross-origin POSTs");

	await p.goto(BASE + "/");
	await Promise.all([p.waitForURL(BASE + "/"), p.click("#logout")]);
	await p.goto(BASE + "/cgi-bin/gitweb.cgi");
	check(/\/cgi-bin\/login\.cgi\?next=/.test(p.url()), `after logout gitweb asks for login (${p.url()})`);
	check(await p.isVisible("input[name=user]"), "the login form is shown");
	await shot(p, "06-logged-out");
});

// The demo in a real browser: Debian's chromium, headless, driven by
// playwright-core. Log in, see the counter increase with the user's name,
// open the live page in two tabs, log out in a third: both live pages show
// their socket closed with 4001, and the next load asks for login.
// Screenshots of every step go to $ARTIFACTS.
//
//   BASE=http://127.0.0.1:PORT ARTIFACTS=DIR NODE_PATH=.../node_modules node demo.js
"use strict";

const path = require("path");
const { helpers } = require("./lib.js");

const BASE = process.env.BASE;
const ARTIFACTS = process.env.ARTIFACTS;
const { check, shot, run } = helpers("browser_demo");

async function visits(page) {
	const h1 = await page.textContent("h1");
	const m = /^Visit number (\d+)$/.exec(h1.trim());
	if (!m)
		throw new Error(`counter heading: ${h1}`);
	return Number(m[1]);
}

run({ width: 900, height: 560 }, async (context, a) => {
	// Not logged in: the live page asks for login first.
	await a.goto(BASE + "/live.sh");
	check(/\/login\.py\?next=live\.sh$/.test(a.url()),
	    `anonymous live page goes to the login form (${a.url()})`);
	await shot(a, "01-login");

	await a.goto(BASE + "/login.py");
	await a.fill("input[name=user]", "alice");
	await a.fill("input[name=password]", "demo");
	await Promise.all([a.waitForURL(/login\.py$/), a.click("#login")]);
	check(await a.textContent("#user") === "alice", "logged in as alice");

	await a.goto(BASE + "/counter.sh");
	const n1 = await visits(a);
	await a.reload();
	const n2 = await visits(a);
	await a.reload();
	const n3 = await visits(a);
	check(n2 === n1 + 1 && n3 === n2 + 1, `the counter increases (${n1}, ${n2}, ${n3})`);
	check(await a.textContent("#user") === "alice", "the counter page shows the user");
	await shot(a, "02-counter");

	// Two tabs on the live page.
	await a.goto(BASE + "/live.sh");
	const b = await context.newPage();
	await b.goto(BASE + "/live.sh");
	for (const [tab, page] of [["A", a], ["B", b]]) {
		await page.waitForFunction(() =>
		    document.getElementById("state").textContent === "socket open");
		await page.waitForFunction(() =>
		    /^connected for [2-9]\d* seconds$|^connected for \d{2,} seconds$/
		    .test(document.getElementById("since").textContent));
		check(true, `tab ${tab}: socket open, "${await page.textContent("#since")}"`);
	}
	await shot(a, "03-live-a");
	await shot(b, "04-live-b");

	// Log out in a third tab.
	const c = await context.newPage();
	await c.goto(BASE + "/login.py");
	const t0 = Date.now();
	await Promise.all([c.waitForURL(/login\.py$/), c.click("#logout")]);
	check(await c.isVisible("input[name=user]"), "tab C: logged out, login form shown");
	await shot(c, "05-logout");

	for (const [tab, page] of [["A", a], ["B", b]]) {
		await page.waitForFunction(() =>
		    document.getElementById("state").textContent === "socket closed (code 4001)",
		    null, { timeout: 5000 });
		check(true, `tab ${tab}: "socket closed (code 4001)" ${Date.now() - t0} ms after the logout click`);
	}
	const frozen = await a.textContent("#since");
	await a.waitForTimeout(1500);
	check(await a.textContent("#since") === frozen, "tab A: no message after the close");
	await shot(a, "06-live-a-closed");
	// The picture in the README (doc/demo.png).
	await a.screenshot({ path: path.join(ARTIFACTS, "demo-readme.png"),
	    clip: { x: 110, y: 20, width: 680, height: 360 } });
	await shot(b, "07-live-b-closed");

	// The next load asks for login.
	await b.reload();
	check(/\/login\.py\?next=live\.sh$/.test(b.url()), `tab B reloaded: login form (${b.url()})`);
	check(await b.isVisible("input[name=user]"), "tab B: login form shown");
	await shot(b, "08-reload-login");
});

// What the browser tests share: logging, checks, screenshots to
// $ARTIFACTS, and Debian's chromium (CHROMIUM) launched headless with a
// throw-away profile through playwright-core.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

// The helpers of the test called `name`.
function helpers(name) {
	const ARTIFACTS = process.env.ARTIFACTS;
	const log = (msg) => process.stderr.write(`${name}: ${msg}\n`);
	return {
		log,
		check(cond, what) {
			if (!cond)
				throw new Error(what);
			log(`ok: ${what}`);
		},
		async shot(page, file) {
			const p = path.join(ARTIFACTS, file + ".png");
			await page.screenshot({ path: p, fullPage: true });
			log(`screenshot ${p}`);
		},
		// Run body(context, firstPage) in a fresh headless chromium; log
		// the result and set the exit code.
		run(viewport, body) {
			(async () => {
				fs.mkdirSync(ARTIFACTS, { recursive: true });
				const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sw-chromium-"));
				const context = await chromium.launchPersistentContext(profile, {
					executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
					headless: true,
					args: ["--headless", "--no-sandbox", "--disable-gpu",
					    "--disable-background-networking", "--disable-component-update",
					    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
					viewport,
				});
				try {
					context.setDefaultTimeout(15000);
					const [first] = context.pages();
					const page = first || await context.newPage();
					page.on("console", (m) => log(`console: ${m.text()}`));
					await body(context, page);
				} finally {
					await context.close();
					fs.rmSync(profile, { recursive: true, force: true });
				}
			})().then(() => {
				log("all checks passed");
			}, (e) => {
				log(`FAIL: ${e && e.stack ? e.stack : e}`);
				process.exitCode = 1;
			});
		},
	};
}

module.exports = { helpers };

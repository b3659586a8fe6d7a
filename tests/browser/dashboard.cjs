// Opens the Tailor page in headless Debian Chromium: first anonymously, then with an
// Airflow session cookie; prints what rendered as JSON and saves a screenshot.
const { chromium } = require("playwright-core");

(async () => {
  const [base, token, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1600 } });
    const anonymous = await context.newPage();
    const refused = await anonymous.goto(`${base}/tailor/`);
    const anonymousStatus = refused.status();
    await anonymous.close();

    await context.addCookies([{ name: "_token", value: token, url: base }]);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    const response = await page.goto(`${base}/tailor/`);
    await page.waitForSelector('body[data-rendered="true"]', { timeout: 90000 });
    const result = {
      anonymousStatus,
      status: response.status(),
      latest: await page.textContent("#latest-date"),
      verdict: await page.$$eval("#verdict li", (items) => items.map((li) => li.textContent)),
      summary: await page.$$eval("#summary tbody tr", (rows) =>
        rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
      summaryAll: await page.$$eval("#summary-all tbody tr", (rows) =>
        rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
      pageWidth: await page.evaluate(() => document.documentElement.scrollWidth),
      judges: await page.$$eval("#judges tbody tr", (rows) =>
        rows.map((row) => ({ text: row.textContent, excluded: row.className === "excluded" }))),
      diagnostics: await page.$$eval("#diagnostics tbody tr", (rows) =>
        rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
      people: await page.$$eval("#people tbody tr", (rows) =>
        rows.map((row) => [...row.cells].map((cell) => cell.textContent))),
      charts: await page.$$eval(".chart", (charts) =>
        charts.map((chart) => ({ id: chart.id, marks: chart.querySelectorAll("svg path, svg line").length }))),
      errors,
    };
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });

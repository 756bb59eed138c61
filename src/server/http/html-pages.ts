/** HTML bodies of the pages a real deployment sends outside the JSON API. */

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** CherryPy's default error page, which Girder serves for unknown top-level routes. */
export function cherryPyErrorPage(status: string, message: string): string {
  return (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n' +
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n' +
    '<html>\n<head>\n    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>\n' +
    `    <title>${escapeHtml(status)}</title>\n</head>\n<body>\n` +
    `    <h2>${escapeHtml(status)}</h2>\n    <p>${escapeHtml(message)}</p>\n</body>\n</html>\n`
  );
}

/** What nginx in front of an overloaded DSA answers (502/503/504). */
export function proxyErrorPage(status: number, reason: string): string {
  return (
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n` +
    `<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  );
}

/** A 200 HTML page where data was expected: a captive portal, login wall or maintenance page. */
export function maintenancePage(): string {
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Scheduled maintenance</title></head>\n' +
    '<body><h1>We&rsquo;ll be back soon</h1><p>This service is undergoing scheduled maintenance.</p></body>\n</html>\n'
  );
}

/** A bot-challenge page like a web application firewall answers scripted clients with (202). */
export function challengePage(): string {
  return (
    '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>' +
    '<noscript>Enable JavaScript and cookies to continue</noscript></body></html>\n'
  );
}

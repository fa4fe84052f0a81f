package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium. Outside CI a machine without it skips
// the browser test; under CI=true it must run (make test-deps installs it
// with fixtures/install-test-deps.sh chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium missing: make test-deps installs it (fixtures/install-test-deps.sh chromium)")
	}
	t.Skip("needs Debian's chromium: run fixtures/install-test-deps.sh chromium (as root), or make test-deps")
	return ""
}

// TestInBrowser drives headless Chromium through the page as the
// administrator would: log in, read Overview and Traffic, re-request a
// day into the Maildir, download its archive and check its sha256
// against the file on disk. No request may leave the page's own server.
// With ISPACCT_SCREENSHOTS=1 it saves full-page PNGs of Overview and
// Traffic into docs/.
func TestInBrowser(t *testing.T) {
	exe := chromium(t)
	s := newSite(t)
	// A month of a dozen customer LANs around the sample days, so the
	// charts have something to draw.
	fillMonth(t, s, time.Date(2026, 11, 1, 0, 0, 0, 0, s.cfg.Loc),
		monthShape{lans: append([]string{"mueller", "schmidt", "bauer", "weber", "weber-lab"}, lanNames(7)...), days: 30,
			linesPerDay: 300_000, sites: 400, sitesPerLAN: 40, vhosts: 8, mailboxes: 12})
	downloads := t.TempDir()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		// As root Chromium needs no sandbox; the machine has no network
		// beyond loopback, so nothing may call home.
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var requested []string
	done := make(chan string, 1)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}

	base := s.srv.URL
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		if os.Getenv("ISPACCT_SCREENSHOTS") != "1" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved docs/%s (%d bytes)", name, len(png))
	}

	// Not logged in: the login form.
	run("open the page", chromedp.Navigate(base+"/traffic?month=2026-11"))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Fatalf("not sent to the login form: %s", loc)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("user"), testUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
	)); err != nil {
		t.Fatalf("log in: %v", err)
	}
	// Back where it was going.
	if h := text("h1"); h != "Traffic 2026-11" {
		t.Fatalf("after login: %q", h)
	}
	if svg, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main"))); err != nil ||
		strings.Count(svg, `class="bar`) < 12 || !strings.Contains(svg, "<polyline") {
		t.Fatalf("traffic charts missing: %v", err)
	}
	shot("web-traffic.png")

	run("overview", chromedp.Navigate(base+"/"))
	if m := text("main"); !strings.Contains(m, "Daily runs") || !strings.Contains(m, "Nothing waits") {
		t.Fatalf("overview: %s", m)
	}
	shot("web-overview.png")

	// Re-request 2026-11-21 into the Maildir.
	run("re-request form", chromedp.Navigate(base+"/resend"),
		chromedp.SetValue(chromedp.CSS(`input[name="from"]`), "2026-11-21"),
		chromedp.SetValue(chromedp.CSS(`input[name="to"]`), "2026-11-21"))
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main form button`))); err != nil {
		t.Fatalf("send the form: %v", err)
	}
	outcome := text("main")
	if !strings.Contains(outcome, "Re-request 2026-11-21: ok") || !strings.Contains(outcome, "by web:admin") {
		t.Fatalf("outcome: %s", outcome)
	}
	shown := text("td.sha")

	// Download the rebuilt archive from the outcome.
	run("download", chromedp.Click(chromedp.CSS(`a[href="/archives/acct-2026-11-21.zip"]`)))
	var guid string
	select {
	case guid = <-done:
	case <-ctx.Done():
		t.Fatal("the download did not finish")
	}
	got, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatal(err)
	}
	disk, err := os.ReadFile(filepath.Join(s.cfg.Report.OutDir, "acct-2026-11-21.zip"))
	if err != nil {
		t.Fatal(err)
	}
	sum, want := sha256.Sum256(got), sha256.Sum256(disk)
	if sum != want || hex.EncodeToString(sum[:]) != shown {
		t.Fatalf("downloaded sha256 %x, on disk %x, on the page %s", sum, want, shown)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(requested) == 0 {
		t.Fatal("no request seen: the network events are not watched")
	}
	for _, u := range requested {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("a request left the page's server: %s", u)
		}
	}
}

package simulator

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestStrayRequestsAreRecorded: plain HTTP on the HTTPS port and HTTPS at
// the other origin are answered 421 and recorded with the credentials
// they carried; HTTPS on the port is served as before.
func TestStrayRequestsAreRecorded(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, c := startDemo(t)
	plain := &http.Client{}
	defer plain.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, "http://"+strings.TrimPrefix(s.URL(), "https://")+"/oauth2/token", strings.NewReader("grant_type=client_credentials&client_secret=s3cret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("plain HTTP: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, s.OtherOriginURL()+"/accounts/x", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("other origin: %d", resp.StatusCode)
	}
	resp, _ = do(t, c, s, http.MethodGet, "/_sim/stats", "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTPS: %d", resp.StatusCode)
	}
	stray := s.Stats().Stray
	if len(stray) != 2 || stray[0].Listener != "plain-http" || strings.Join(stray[0].Credentials, ",") != "body:client_secret" ||
		stray[1].Listener != "other-origin" || strings.Join(stray[1].Credentials, ",") != "Authorization" {
		t.Errorf("stray requests: %+v", stray)
	}
	c.CloseIdleConnections()
	s.Close()
}

// TestRedirectAndTemplateFaults: a redirect fault points at the other
// origin or at plain HTTP; a template's {{n}} counts its answers.
func TestRedirectAndTemplateFaults(t *testing.T) {
	s, c := startDemo(t)
	for _, f := range []Fault{
		{Path: "/apps/http/appBackups$", Redirect: RedirectHTTP},
		{Path: "/apps/other/appBackups$", Redirect: RedirectOtherOrigin, Status: http.StatusFound},
		{Path: "/apps/page/appBackups$", Body: BodyTemplate, Raw: `{"n":{{n}},"next":"{{url}}/page","other":"{{other}}"}`},
	} {
		if err := s.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	const apps = "/accounts/" + testAccount + "/k8s/v1/apps/"
	for path, want := range map[string]string{
		apps + "http/appBackups":  "http://" + strings.TrimPrefix(s.URL(), "https://") + apps + "http/appBackups?a=1",
		apps + "other/appBackups": s.OtherOriginURL() + apps + "other/appBackups?a=1",
	} {
		resp, err := noFollow.Get(s.URL() + path + "?a=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != want || resp.StatusCode/100 != 3 {
			t.Errorf("%s: %d to %q, want %q", path, resp.StatusCode, loc, want)
		}
	}
	for n := 1; n <= 2; n++ {
		resp, err := c.Get(s.URL() + "/accounts/" + testAccount + "/k8s/v1/apps/page/appBackups")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `{"n":` + string(rune('0'+n)) + `,"next":"` + s.URL() + `/page","other":"` + s.OtherOriginURL() + `"}`
		if string(body) != want {
			t.Errorf("page %d: %s, want %s", n, body, want)
		}
	}
	if _, err := compileFault(Fault{Redirect: "ftp"}); err == nil {
		t.Error("an unknown redirect was accepted")
	}
}

package kubernetes

import "testing"

// TestValidateLabelSelector: the selectors apimachinery's labels.Parse
// accepts, and those it refuses (the cases of its own parser tests and of
// the Kubernetes labels documentation).
func TestValidateLabelSelector(t *testing.T) {
	good := []string{
		"", "cluster=prod", "cluster==prod", "cluster!=prod", "x=", "x==", "x!=", "x=a,y=b",
		" x = a , y != b ", "app", "!app", "app,!legacy", "env in (prod,staging)", "env notin (dev)",
		"env in ()", "env in (,a)", "env in (a,,b)", "env in (a,)", "x>1", "x<-1", "x > 1",
		"velero.io/backup-name=nightly-20261124", "example.com/team=a.b_c-d", "in=notin", "notin in (in)",
		"a in (b),c notin (d),!e,f,g=h",
	}
	for _, s := range good {
		if err := ValidateLabelSelector(s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	bad := []string{
		",", "x=a,", ",x=a", "x=a b", "x=(a)", "x in a", "x in (a", "x in (a b)", "x in (a))",
		"x>a", "x>", "x>=1", "!x=a", "!", "x=a,,y=b", "=a", "x==a==b",
		"-x=a", "x-=a", "x=-a", "x=a-", "Example.com/x=a", "/x=a", "a/b/c=d",
		"x=" + string(make([]byte, 64)), "k" + string(make([]byte, 0)) + "=ok!",
		"x=" + "a234567890123456789012345678901234567890123456789012345678901234",
		"a234567890123456789012345678901234567890123456789012345678901234=x",
	}
	for _, s := range bad {
		if err := ValidateLabelSelector(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

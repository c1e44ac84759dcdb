package aws

import "testing"

func TestTaggingEndpoint(t *testing.T) {
	for endpoint, want := range map[string]string{
		"":                                       "",
		"https://backup.eu-west-1.amazonaws.com": "",
		"https://backup-fips.us-gov-west-1.amazonaws.com":         "",
		"https://vpce-0a1b-x.backup.eu-west-1.vpce.amazonaws.com": "",
		"https://backup.cn-north-1.amazonaws.com.cn":              "",
		"https://backup.eu-west-1.api.aws":                        "",
		"https://127.0.0.1:9443":                                  "https://127.0.0.1:9443",
		"http://localstack:4566":                                  "http://localstack:4566",
		"https://notamazonaws.com":                                "https://notamazonaws.com",
		"::not a url":                                             "",
	} {
		if got := TaggingEndpoint(endpoint); got != want {
			t.Errorf("TaggingEndpoint(%q) = %q, want %q", endpoint, got, want)
		}
	}
}

package openapi

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"portico/raftstore/state"
)

// identity fills Name from info.title and Version from info.version when they were not given.
func (s *spec) identity(api *state.API) error {
	info := get(s.root, "info")
	if api.Name == "" {
		if api.Name = slug(str(get(info, "title"))); api.Name == "" {
			return errors.New("info.title: no usable API name; set the name")
		}
	}
	if api.Version == "" {
		v, err := majorMinor(str(get(info, "version")))
		if err != nil {
			return fmt.Errorf("info.version: %w; set the version", err)
		}
		api.Version = v
	}
	return nil
}

// slug lowercases a title and joins its runs of letters and digits with '-', at most 64 characters.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > 64 {
		out = strings.TrimRight(out[:64], "-")
	}
	return out
}

// majorMinor reduces a version such as "v1.2.3-beta" to "1.2"; a missing minor is 0.
func majorMinor(v string) (string, error) {
	rest := strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	major, rest := leadingDigits(rest)
	if major == "" {
		return "", fmt.Errorf("cannot derive major.minor from %q", v)
	}
	minor := "0"
	if after, ok := strings.CutPrefix(rest, "."); ok {
		if m, _ := leadingDigits(after); m != "" {
			minor = m
		}
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma > 999_999_999 || mi > 999_999_999 {
		return "", fmt.Errorf("cannot derive major.minor from %q", v)
	}
	return fmt.Sprintf("%d.%d", ma, mi), nil
}

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && i < 10 && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// context fills Context from Swagger's basePath or the path of the first OpenAPI server URL.
func (s *spec) context(api *state.API) error {
	if api.Context != "" {
		return nil
	}
	field, p := "basePath", str(get(s.root, "basePath"))
	if !s.swagger {
		field = "servers[0].url"
		u, err := s.serverURL(0)
		if err != nil {
			return err
		}
		if u != nil {
			p = u.Path
		}
	}
	if p = strings.TrimRight(p, "/"); p == "" {
		return fmt.Errorf("%s: gives no base path to use as the context; set the context", field)
	}
	api.Context = p
	return nil
}

// backend fills the production endpoint from backend, or from the first absolute server URL (OpenAPI 3) or
// schemes[0]://host+basePath (Swagger 2, scheme https when none is listed).
func (s *spec) backend(api *state.API, backend string) error {
	if backend == "" {
		var err error
		if s.swagger {
			backend, err = s.swaggerBackend()
		} else {
			backend, err = s.serversBackend()
		}
		if err != nil {
			return err
		}
	}
	api.Endpoints.Production = []string{backend}
	return nil
}

func (s *spec) swaggerBackend() (string, error) {
	host := str(get(s.root, "host"))
	if host == "" {
		return "", errors.New("host: absent, so there is no backend URL; set the backend")
	}
	scheme := "https"
	if schemes, _ := list(get(s.root, "schemes"), "schemes"); len(schemes) > 0 {
		scheme = str(schemes[0])
	}
	return scheme + "://" + host + strings.TrimRight(str(get(s.root, "basePath")), "/"), nil
}

func (s *spec) serversBackend() (string, error) {
	servers, err := list(get(s.root, "servers"), "servers")
	if err != nil {
		return "", err
	}
	for i := range servers {
		u, err := s.serverURL(i)
		if err != nil {
			return "", err
		}
		if u != nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return strings.TrimRight(u.String(), "/"), nil
		}
	}
	return "", errors.New("servers: no absolute http(s) server URL to use as the backend; set the backend")
}

// serverURL returns servers[i].url with its variables replaced by their defaults; nil if there is no such server.
func (s *spec) serverURL(i int) (*url.URL, error) {
	servers, err := list(get(s.root, "servers"), "servers")
	if err != nil || i >= len(servers) {
		return nil, err
	}
	raw := str(get(servers[i], "url"))
	vars, err := pairs(get(servers[i], "variables"), fmt.Sprintf("servers[%d].variables", i))
	if err != nil {
		return nil, err
	}
	for _, v := range vars {
		raw = strings.ReplaceAll(raw, "{"+v.key+"}", str(get(v.value, "default")))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("servers[%d].url: %q is not a URL", i, raw)
	}
	return u, nil
}

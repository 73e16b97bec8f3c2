package certs

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// validate checks node ids ([a-z0-9-], 1..63 characters, unique, not "ca") and hosts (each an IP or a DNS name).
func validate(nodes, hosts []string) error {
	if len(nodes) == 0 {
		return errors.New("no node ids given")
	}
	seen := make(map[string]bool, len(nodes))
	for _, id := range nodes {
		if err := validID(id); err != nil {
			return err
		}
		if seen[id] {
			return fmt.Errorf("node id %q given twice", id)
		}
		seen[id] = true
	}
	for _, h := range hosts {
		if net.ParseIP(h) == nil && !validDNSName(h) {
			return fmt.Errorf("host %q is neither an IP address nor a DNS name", h)
		}
	}
	return nil
}

func validID(id string) error {
	if len(id) < 1 || len(id) > 63 {
		return fmt.Errorf("node id %q: want 1 to 63 characters", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("node id %q: want only a-z, 0-9 and '-'", id)
		}
	}
	if id == caName {
		return fmt.Errorf("node id %q: reserved for the cluster CA files", id)
	}
	return nil
}

// validDNSName reports whether name is a plain DNS name: dot-separated labels of letters, digits and inner hyphens.
func validDNSName(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(label string) bool {
	if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

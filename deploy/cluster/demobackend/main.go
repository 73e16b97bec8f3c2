// Command demobackend serves the demo backend of `portico dev` on its own: deploy/cluster/local.sh starts two, at the
// production (127.0.0.1:9000) and sandbox (127.0.0.1:9001) endpoints of deploy/examples/api.yaml, so that the
// consumer journey of the README gets real answers from the local cluster, each naming the backend that gave it.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"portico/node/demo"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen `ADDR`")
	name := flag.String("name", "the production backend", "who answers, in each reply's message")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: demo.Handler(*name), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

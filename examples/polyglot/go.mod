module github.com/example/polyglot

go 1.22

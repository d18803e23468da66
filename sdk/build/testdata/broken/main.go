// Command broken does not compile, on purpose.
package main

func main() {}

var x int = "not an int"

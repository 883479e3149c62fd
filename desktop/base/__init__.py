"""The floor under every other package: the error base every layer raises and the one file writer."""

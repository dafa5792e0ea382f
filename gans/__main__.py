from gans.cli import main

main()

from parttrack.cli import main

main()

from mauqif.cli import main

main()

from fractaldream.cli import main

main()

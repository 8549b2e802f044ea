"""Running cases (process instances): ``advance`` is the one path that loads, moves and saves a case's engine
state (start, complete, message, timers); ``reads`` the lists and details of cases a face asks for;
``timeline`` the short history on a case's page; ``corrections`` the administrator's audited corrections;
``case_numbers`` finding a case by its number; ``operations`` the allow-list a service task may call."""

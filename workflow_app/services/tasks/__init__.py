"""Human tasks: ``commands`` change one (claim, assign, delegate, complete, ...); ``inbox`` lists and reads
them; ``form_input`` is the one reading of what a form sends (a task's submission or a case's start data);
``comments``, ``attachments``, ``table_io`` (a task's table in Excel) and ``panels`` (read-only figures beside
a form) are what a task's page holds."""

"""The roadmap (распоряжение № 450-ра) as records: ``queries`` reads (lists, one item's page, who may change
what), ``changes`` writes (the shipped file's load, edits, evidence; ``change_in`` the one way an item changes)."""

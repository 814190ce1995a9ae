"""The staff's place of work: each role's sections, and a home page that starts with what needs doing.

It sits above every part (it reads the queue, the cases, the returns and the accounts), so only the
app factory imports it, and it imports no view.
"""

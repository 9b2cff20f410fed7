"""Floor 5: the path of one email, pipeline -> match -> decide -> steer -> apply, the only writer per email."""

# The shell of JupyterLab's terminal on the course (jupyter_server_config.py starts bash with this
# file instead of ~/.bashrc): the user's own set-up first, then the course's environment in front
# of it, so `python`, `jupyter` and `nbgrader` are the course's. COURSE_ENV_BIN is the bin/ folder
# of the environment JupyterLab runs from.
if [ -f ~/.bashrc ]; then
    . ~/.bashrc
fi
if [ -n "$COURSE_ENV_BIN" ]; then
    if [ -f "$COURSE_ENV_BIN/activate" ]; then
        . "$COURSE_ENV_BIN/activate"  # a venv, as `. .venv/bin/activate` would: "(.venv)" in the prompt
    else
        export PATH="$COURSE_ENV_BIN:$PATH"
    fi
fi

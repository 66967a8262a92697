"""Start Kontor on the embedded default: migrate, make an admin login, then serve.

Starts the web server, one django-q2 cluster per lane (hot, master and poll) and the dispatcher,
and stops all of them together on Ctrl-C. The admin password is printed once, when the login is created.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

ADDRESS = os.environ.get("KONTOR_ADDRESS", "127.0.0.1:8000")
ADMIN_USERNAME = "admin"


def setup():
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    if settings.EMBEDDED:
        Path(settings.SQLITE_PATH).parent.mkdir(parents=True, exist_ok=True)

    print("Applying database migrations")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    create_admin()

    # Periodic jobs of both lanes: the sweep that requeues lost work, lane heartbeats, alert
    # evaluation and the daily summary, and DHL tracking pulls. Each command is idempotent.
    print("Installing the periodic jobs")
    call_command("sweep", install_schedule=True, verbosity=0)
    call_command("monitoring", install_schedule=True, verbosity=0)
    call_command("dhl_schedule", verbosity=0)

    from core.demo import prepare_demo

    prepare_demo(stdout=sys.stdout)


# The line that repeats a login created in this run, printed when the web server listens.
NEW_LOGIN = []


def create_admin():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        print(
            f"Admin login: {ADMIN_USERNAME} (password shown when it was created; "
            f"reset it with: .venv/bin/python manage.py changepassword {ADMIN_USERNAME})"
        )
        return
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(ADMIN_USERNAME, "admin@localhost", password)
    print("Created an admin login. It is shown only in this run:")
    print(f"    username: {ADMIN_USERNAME}")
    print(f"    password: {password}")
    # The workers' output scrolls the lines above away, so the login is repeated once Kontor listens.
    NEW_LOGIN.append(f"Log in as {ADMIN_USERNAME} with the password {password} (shown only in this run).")


def start(command, **kwargs):
    # Each process leads its own process group, so stopping it also stops the workers that a
    # django-q2 cluster forks, even when run.py itself gets the signal instead of a terminal.
    return subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True, **kwargs)


def stop_group(process, sig):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def ask_to_stop(process):
    # Only the group's leader: a django-q2 cluster stops its own workers after their current
    # task, but hangs when the workers die under it from a signal to the whole group.
    try:
        process.terminate()
    except ProcessLookupError:
        pass


def wait_until_listening(address, timeout=30):
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def serve():
    python = sys.executable
    # --insecure serves the admin's static files with DEBUG off, as is right for a local run.
    processes = [start([python, "manage.py", "runserver", ADDRESS, "--noreload", "--insecure"])]
    from django.conf import settings

    def stop(*_):
        print("Stopping Kontor: the lanes finish their current tasks for up to 10 seconds.", flush=True)
        web_server, *workers = processes
        for process in workers:
            ask_to_stop(process)
        # One deadline for all, so a slow process does not add its wait to the others'. The
        # poll loops return after their current step. A task cut off here (a long master-lane
        # sync) leaves its claimed messages to the lease takeover.
        # The web server stops last, because the tasks still running call its sandboxes.
        deadline = time.monotonic() + 10
        for process in [*workers, web_server]:
            grace = 0.0
            if process is web_server:
                ask_to_stop(web_server)
                grace = 1.0
            try:
                process.wait(timeout=max(grace, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stop_group(process, signal.SIGKILL)
                process.wait()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    # The lanes start once the web server listens: their first tasks call the sandboxes it serves,
    # and would record connection errors before it does.
    listening = wait_until_listening(ADDRESS)
    for lane in settings.LANES:
        processes.append(start([python, "manage.py", "qcluster"], env=dict(os.environ, Q_CLUSTER_NAME=lane)))
    # Queues due retries every second, so a retry goes out when it is due, not at the next sweep.
    processes.append(start([python, "manage.py", "dispatch"]))

    if listening:
        print(f"Kontor runs at http://{ADDRESS}/admin/ with the hot, master and poll lanes and the dispatcher. Stop with Ctrl-C.")
        for line in NEW_LOGIN:
            print(line, flush=True)
    else:
        print(f"The web server did not start listening on {ADDRESS} within 30 seconds; see the output above.")

    while True:
        for process in processes:
            if process.poll() is not None:
                print(f"A Kontor process stopped with exit code {process.returncode}: {process.args}")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    setup()
    serve()

"""The portal in a real browser (headless Chromium through Selenium and Debian's
chromedriver): a customer files in Azerbaijani, reads the acknowledgement, tracks
the complaint, and accepts the staff member's answer by pressing the button."""
from __future__ import annotations

import email
import re
import shutil
from email import policy as email_policy

import pytest

from gatewaykit import gateway, mail, outgoing, show, staff_notice_id
from servers import free_port
from webkit import PortalProcess, portal_config

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not (CHROMEDRIVER and CHROMIUM), reason="headless Chromium and chromedriver are not "
                                "installed (apt-get install chromium chromium-driver; scripts/test.sh does)")


@pytest.fixture()
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'profile'}", "--lang=az"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def submit_and_wait(browser, button) -> None:
    """Click a form's button and wait until the page it leads to has replaced this one: a click
    returns before the browser has navigated, and reading the old page then is a race."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    old_page = browser.find_element("tag name", "html")
    button.click()

    def replaced(_driver) -> bool:
        """Selenium's staleness_of, but chromedriver sometimes reports a node of the page it just
        left as "unknown error: Node with given id does not belong to the document": gone too."""
        try:
            old_page.is_enabled()
        except WebDriverException:
            return True
        return False
    WebDriverWait(browser, 20).until(replaced)


def test_file_track_and_accept_in_a_browser(tmp_path, browser):
    from selenium.webdriver.common.by import By
    port = free_port()
    config = portal_config(tmp_path / "site", port)
    gateway(config, "migrate")
    portal = PortalProcess(config, port)
    try:
        browser.get(f"{portal.url}/complaint?lang=az")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Şikayət göndərin"
        for name, value in {"name": "Aysel", "surname": "Məmmədova", "patronymic": "Rauf qızı",
                            "phone": "050 123 45 67", "email": "aysel@example.az",
                            "subject": "Sifarişim gecikir",
                            "text": "Salam, sifarişim 10 gündür çatdırılmayıb."}.items():
            browser.find_element(By.NAME, name).send_keys(value)
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Şikayətiniz qeydə alındı"
        tracking = browser.find_element(By.ID, "tracking").text
        shown_secret = browser.find_element(By.ID, "secret").text

        gateway(config, "tick")
        ack = next(email.message_from_bytes(p.read_bytes(), policy=email_policy.default) for p in outgoing(config)
                   if b"aysel@example.az" in p.read_bytes())
        body = ack.get_body(("plain",)).get_content()
        secret = re.search(r"gizli kodunuzu ([A-Z0-9-]+)", body).group(1)
        assert secret == shown_secret and tracking in ack["Subject"]

        browser.delete_all_cookies()  # another day, another browser session
        browser.get(f"{portal.url}/track?lang=az")
        browser.find_element(By.NAME, "tracking").send_keys(tracking)
        browser.find_element(By.NAME, "secret").send_keys(secret)
        submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.find_element(By.ID, "status").text == "Qeydə alınıb"

        answer = mail(sender="agent@shop.test", subject=f"Re: [{tracking}]",
                      body="#resolve\nKuryer sifarişinizi sabah gətirəcək.\n",
                      in_reply_to=staff_notice_id(config, tracking))
        gateway(config, "ingest", input=answer)
        browser.refresh()
        assert "Kuryer sifarişinizi sabah gətirəcək." in browser.page_source
        submit_and_wait(browser, browser.find_element(By.ID, "accept"))
        assert "qərarınız qeydə alındı" in browser.page_source
        assert browser.find_element(By.ID, "status").text == "Başa çatıb"
        assert show(config, tracking)["status"] == "closed"
        png = tmp_path / "status.png"
        browser.save_screenshot(str(png))
        assert png.stat().st_size > 5000
    finally:
        portal.stop()

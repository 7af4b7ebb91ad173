"""What the audit log's entries are called in the back-office, in the reader's language.

Entries store machine keys ("event.cancel", object type "registration"); people read
these labels. tests/test_labels.py fails when code records an action without one.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "api_key.create": _l("API key created"),
    "api_key.revoke": _l("API key revoked"),
    "documents.attendance_sheet": _l("Attendance sheet printed"),
    "documents.badges": _l("Badges printed"),
    "documents.certificates": _l("Certificates printed"),
    "documents.participation_report": _l("Participation report downloaded"),
    "event.cancel": _l("Event cancelled"),
    "event.create": _l("Event created"),
    "event.duplicate": _l("Event duplicated"),
    "event.publish": _l("Event published"),
    "event.unpublish": _l("Event withdrawn"),
    "event.update": _l("Event changed"),
    "material.create": _l("Material added"),
    "material.delete": _l("Material removed"),
    "material.move": _l("Material moved"),
    "material.update": _l("Material changed"),
    "newsletter.campaign_cancelled": _l("Newsletter issue cancelled"),
    "newsletter.campaign_paused": _l("Newsletter issue paused"),
    "newsletter.campaign_resumed": _l("Newsletter issue resumed"),
    "newsletter.campaign_saved": _l("Newsletter issue saved"),
    "newsletter.campaign_scheduled": _l("Newsletter issue scheduled"),
    "newsletter.campaign_unscheduled": _l("Newsletter issue unscheduled"),
    "newsletter.import": _l("Subscribers imported"),
    "newsletter.subscriber_erased": _l("Subscriber's data erased"),
    "newsletter.subscriber_exported": _l("Subscriber's data downloaded"),
    "outbox.retry": _l("E-mail sent again"),
    "project.create": _l("Project created"),
    "project.delete": _l("Project removed"),
    "project.update": _l("Project changed"),
    "registration.add": _l("Registration added"),
    "registration.attendance_import": _l("Online attendance imported"),
    "registration.cancel": _l("Registration cancelled"),
    "registration.checkin": _l("Checked in"),
    "registration.checkin_override": _l("Checked in outside the window"),
    "registration.edit": _l("Registration changed"),
    "registration.erase": _l("Personal data erased"),
    "registration.export": _l("Registrations exported"),
    "registration.import": _l("Registrations imported"),
    "registration.message": _l("Message sent to registrants"),
    "registration.promote": _l("Promoted from the waiting list"),
    "registration.question_add": _l("Form question added"),
    "registration.question_delete": _l("Form question removed"),
    "registration.question_edit": _l("Form question changed"),
    "registration.question_move": _l("Form question moved"),
    "session.create": _l("Session added"),
    "session.delete": _l("Session removed"),
    "session.move": _l("Session moved"),
    "session.update": _l("Session changed"),
    "speaker.create": _l("Speaker added"),
    "speaker.delete": _l("Speaker removed"),
    "speaker.update": _l("Speaker changed"),
    "user.create": _l("Account created"),
    "user.password_reset_link": _l("Password reset link sent"),
    "user.reset_password": _l("Password reset"),
    "user.update": _l("Account changed"),
    "venue.create": _l("Venue added"),
    "venue.delete": _l("Venue removed"),
    "venue.update": _l("Venue changed"),
}

OBJECT_TYPES = {
    "apikey": _l("API keys"),
    "attendance": _l("Attendance"),
    "campaign": _l("Newsletter issues"),
    "event": _l("Events"),
    "material": _l("Materials"),
    "outboxmessage": _l("E-mails"),
    "project": _l("Projects"),
    "question": _l("Form questions"),
    "registration": _l("Registrations"),
    "session": _l("Sessions"),
    "speaker": _l("Speakers"),
    "subscriber": _l("Subscribers"),
    "user": _l("Accounts"),
    "venue": _l("Venues"),
}


# The changed fields an entry lists ("changes": {field: [before, after]}).
FIELDS = {
    "accessibility_notes": _l("Accessibility"), "acronym": _l("Acronym"), "active": _l("Active"),
    "address": _l("Address"), "affiliation": _l("Affiliation"), "bio": _l("Biography"),
    "budget": _l("Budget"), "capacity": _l("Places in total"),
    "capacity_in_person": _l("Places in the room"), "capacity_online": _l("Places online"),
    "city": _l("City"), "contact_email": _l("Contact e-mail"), "contact_name": _l("Contact office or person"),
    "contact_notes": _l("Address and opening hours"), "contact_phone": _l("Contact phone"),
    "country": _l("Country"), "description": _l("Description"),
    "email_note": _l("Note for the e-mails (Italian)"), "email_note_en": _l("Note for the e-mails (English)"),
    "ends_at": _l("Ends"), "ends_on": _l("End date"), "format": _l("Format"), "funding": _l("Funding"),
    "kind": _l("Kind"), "label": _l("Question"), "language": _l("Language"), "latitude": _l("Latitude"),
    "longitude": _l("Longitude"), "name": _l("Name"), "online_join_url": _l("Link to join online"),
    "options": _l("Options"), "partners": _l("Partners"), "postcode": _l("Postcode"),
    "priority": _l("Priority"), "programme": _l("Programme"), "project_id": _l("Project"),
    "registrable": _l("Separate registration"), "registration_closes_at": _l("Registration closes"),
    "registration_mode": _l("Registration"), "registration_opens_at": _l("Registration opens"),
    "registration_url": _l("External registration page"),
    "reminder_hours_before": _l("Reminder (hours before the start)"), "required": _l("Required"),
    "role": _l("Role"), "room": _l("Room"), "session_id": _l("Session"), "slug": _l("Web address"),
    "starts_at": _l("Starts"), "starts_on": _l("Start date"), "status": _l("Status"),
    "summary": _l("Summary"), "timezone": _l("Time zone"), "title": _l("Title"), "url": _l("Address (URL)"),
    "venue_id": _l("Venue"), "visibility": _l("Visibility"), "waitlist_enabled": _l("Waiting list when full"),
    "website": _l("Website"),
}


def field_label(name: str) -> str:
    return str(FIELDS[name]) if name in FIELDS else name.replace("_", " ")


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, _l("Other change")))


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, _l("Other records")))

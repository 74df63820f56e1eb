import applications.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def recorded_when_effective(apps, schema_editor):
    """Moves recorded before this migration were dated when recorded: effective = recorded."""
    StageTransition = apps.get_model("applications", "StageTransition")
    StageTransition.objects.update(recorded_at=models.F("at"))


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TechnologyPartner",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=150, unique=True, verbose_name="name")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="note")),
            ],
            options={
                "verbose_name": "technology partner",
                "verbose_name_plural": "technology partners",
                "ordering": ("name",),
            },
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="corrects",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrected_by",
                to="applications.stagetransition",
                verbose_name="corrects",
            ),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="evidence",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="applications.applicationdocument",
                verbose_name="evidence",
            ),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="plan_reason",
            field=models.TextField(blank=True, verbose_name="why this window"),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="recorded_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="recorded at"),
        ),
        migrations.RunPython(recorded_when_effective, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="expected_go_live",
            field=models.DateField(
                blank=True,
                help_text="The list flags the application when the forecast passes this date.",
                null=True,
                verbose_name="go-live date promised to the brand",
            ),
        ),
        migrations.AlterField(
            model_name="applicationdocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("nda", "Signed NDA"),
                    ("service_plan", "Service Plan"),
                    ("permission_form", "Permission application form"),
                    ("io_contract", "IO contract"),
                    ("test_screenshot", "Test screenshot"),
                    ("line_question", "Question from LINE"),
                    ("brand_answer", "Brand's answer"),
                    ("line_email", "E-mail from LINE"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="stagetransition",
            name="at",
            field=models.DateTimeField(db_index=True, verbose_name="effective at"),
        ),
        migrations.AddField(
            model_name="application",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                help_text="Partner path only: the partner whose approved use cases this application may reuse.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="applications",
                to="applications.technologypartner",
                verbose_name="technology partner",
            ),
        ),
        migrations.CreateModel(
            name="PartnerUseCase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "use_case",
                    models.CharField(
                        choices=[
                            ("delivery_notice", "Delivery notice"),
                            ("purchase_completed", "Purchase completed"),
                            ("made_to_order_ready", "Made-to-order product ready"),
                            ("reservation_made_or_cancelled", "Reservation made or cancelled"),
                            ("reservation_reminder", "Reservation reminder"),
                            ("registration_completed", "Registration completed"),
                            ("bank_card_issued", "Bank card issued"),
                            ("bank_account_opened", "Bank account opened"),
                            ("points_earned", "Points earned"),
                            ("payment_completed", "Payment completed"),
                            ("signup_otp", "One-time password for member sign-up"),
                            ("bill_fee_confirmation", "Fee confirmation (bill)"),
                            ("rental_due", "Rental due"),
                            ("deadline_reminder", "Contract, application or validity deadline"),
                            ("payment_due", "Payment due"),
                            ("repair_completed", "Repair completed"),
                            ("infrastructure_outage", "Infrastructure fault or maintenance"),
                            ("enquiry_guide", "Guide to the OA chat for enquiries"),
                        ],
                        max_length=48,
                        verbose_name="use case",
                    ),
                ),
                ("approved_on", models.DateField(verbose_name="approved by LINE on")),
                (
                    "evidence_note",
                    models.CharField(
                        blank=True,
                        help_text="E.g. the subject and date of LINE's e-mail.",
                        max_length=500,
                        verbose_name="evidence",
                    ),
                ),
                (
                    "evidence_file",
                    models.FileField(
                        blank=True,
                        max_length=255,
                        upload_to=applications.models.partner_evidence_upload_to,
                        verbose_name="evidence file",
                    ),
                ),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "partner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="use_cases",
                        to="applications.technologypartner",
                        verbose_name="technology partner",
                    ),
                ),
            ],
            options={
                "verbose_name": "approved partner use case",
                "verbose_name_plural": "approved partner use cases",
                "ordering": ("partner", "use_case"),
                "constraints": [models.UniqueConstraint(fields=("partner", "use_case"), name="partner_use_case_once")],
            },
        ),
    ]

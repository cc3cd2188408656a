"""``python -m program.adopt``: declare what an organization has attached now.

Every organization that comes to this project already has policies attached (by hand,
Control Tower, Landing Zone Accelerator, Terraform). ``adopt`` reads them and writes the
``org-policies:attachments`` entries that take them over, each ``import: true``, so that
the next ``pulumi up`` records them without attaching or detaching anything.

The parts, pure ones apart from the I/O:

* :mod:`.readonly` the project's AWS layer, read-only, each listing asked once;
* :mod:`.scan` reads the organization (I/O) into a :mod:`.snapshot`, listing attachments
  per policy or per target as :mod:`.listing` decides (pure);
* :mod:`.naming` how each target and policy is written (pure);
* :mod:`.declared` what the stack file declares already, resolved by the program's own
  :mod:`program.config` / :mod:`program.directory` / :mod:`program.plan`;
* :mod:`.adoption` what to write (pure);
* :mod:`.merge`, :mod:`.yamlfile`, :mod:`.stackfile` the YAML, comments kept;
* :mod:`.command` the command line; :mod:`.errors` its failures; :mod:`.progress` its bar.
"""

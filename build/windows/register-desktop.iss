; Inno Setup script: a per-user installer for Register Desktop (no admin rights, no UAC prompt).
; Build on Windows (see build/windows/README.md):
;   1. sh build/build.sh  (or the PowerShell steps in the README) -> dist\RegisterDesktop\
;   2. "C:\Users\<you>\AppData\Local\Programs\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 build\windows\register-desktop.iss
;   -> dist\RegisterDesktop-0.1.0-setup.exe

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
; A fixed AppId makes a new version upgrade the old one in place.
AppId={{6C1E9B0B-5D5B-4C36-9A51-2B7B3E0D2F11}
AppName=Register Desktop
AppVersion={#AppVersion}
AppPublisher=Register Desktop
; Current user by default, no elevation: installs under %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\Register Desktop
DefaultGroupName=Register Desktop
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\RegisterDesktop.exe
OutputDir=..\..\dist
OutputBaseFilename=RegisterDesktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\app.ico
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Close a running copy before upgrading.
CloseApplications=yes

[Files]
; The whole onedir bundle. Upgrades replace program files only: the user's profiles, journal,
; receipts and autosaves live in %APPDATA% / %LOCALAPPDATA%\RegisterDesktop and are never touched.
Source: "..\..\dist\RegisterDesktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; Remove files of the previous version so stale libraries never mix with new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\Register Desktop"; Filename: "{app}\RegisterDesktop.exe"
Name: "{group}\Register Desktop self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\register-desktop.exe"" self-test"
Name: "{group}\Uninstall Register Desktop"; Filename: "{uninstallexe}"
Name: "{userdesktop}\Register Desktop"; Filename: "{app}\RegisterDesktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked

[Registry]
; "Open with" for spreadsheets, per user (HKCU), without taking over the default program.
Root: HKCU; Subkey: "Software\Classes\Applications\RegisterDesktop.exe\shell\open\command"; ValueType: string; ValueData: """{app}\RegisterDesktop.exe"" ""%1"""; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.csv\OpenWithList\RegisterDesktop.exe"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.xlsx\OpenWithList\RegisterDesktop.exe"; Flags: uninsdeletekey

[Run]
Filename: "{app}\RegisterDesktop.exe"; Description: "Start Register Desktop"; Flags: nowait postinstall skipifsilent

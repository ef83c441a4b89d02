# A LAS 2.0 file as logging tools write it: decreasing depth, -999.25 nulls, a repeated curve.
~VERSION INFORMATION
 VERS.                  2.0 :   CWLS LOG ASCII STANDARD -VERSION 2.0
 WRAP.                  NO  :   ONE LINE PER DEPTH STEP
~WELL INFORMATION
#MNEM.UNIT       DATA               DESCRIPTION
 STRT.M              1670.0000 : START DEPTH
 STOP.M              1669.5000 : STOP DEPTH
 STEP.M              -0.1250 : STEP
 NULL.               -999.25 : NULL VALUE
 COMP.       ANY OIL COMPANY INC. : COMPANY
 WELL.       AAAAA_2      : WELL
 FLD .       WILDCAT      : FIELD
 LOC .       12-34-12-34W5M      : LOCATION
 PROV.       ALBERTA      : PROVINCE
 CTRY.       CA           : COUNTRY
 SRVC.       ANY LOGGING COMPANY INC.     : SERVICE COMPANY
 DATE.       13-DEC-86     : LOG DATE
 UWI .       100123401234W500  : UNIQUE WELL ID
 API .       42-501-20130  : API NUMBER
~CURVE INFORMATION
 DEPT.M                   :  1  DEPTH
 DT  .US/M       60 520 32 00  :  2  SONIC TRANSIT TIME
 RHOB.K/M3       45 350 01 00  :  3  BULK DENSITY
 NPHI.V/V        42 890 00 00  :  4  NEUTRON POROSITY
 SFLU.OHMM       07 220 04 00  :  5  SHALLOW RESISTIVITY
 GR  .GAPI       45 310 01 00  :  6  GAMMA RAY
 DT  .US/M                     :  7  SONIC TRANSIT TIME, REPEAT PASS
~PARAMETER INFORMATION
 RUN .           2            : RUN NUMBER
 BHT .DEGC   35.5000       : BOTTOM HOLE TEMPERATURE
 BS  .MM     200.0000      : BIT SIZE
~Other
 Note: The logging tools became stuck at 625 meters causing the data
 between 625 meters and 615 meters to be invalid.
~A  DEPTH     DT       RHOB        NPHI      SFLU      GR      DT
1670.000   123.450 2550.000    0.450  123.450  123.450  124.000
1669.875   123.450 2550.000    0.450  123.450  -999.25  124.100
1669.750   -999.25 2550.000    0.450  123.450  123.450  124.200
1669.625   123.450 2550.000  -999.25  123.450  123.450  -999.2500
1669.500   123.450 2550.000    0.450  123.450  123.450  124.400
